"""Training evaluation (issue 19): surveys as a course activity (Kirkpatrick level 1), learning
gain from a pre- and a post-test (level 2), job impact some months after completion (level 3)."""
