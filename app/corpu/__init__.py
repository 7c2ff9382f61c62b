"""CMB / Corporate University layer: competencies, gaps, plans, training needs, programs, talent."""
