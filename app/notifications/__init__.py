"""In-app notifications: a message to one person, with an optional link, read or unread."""
