"""Live online sessions (ceramah daring over Zoom, Jitsi or BigBlueButton) as a course activity (issue 18)."""
