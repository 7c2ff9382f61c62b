"""Course forums and communities of practice (issue 18)."""
