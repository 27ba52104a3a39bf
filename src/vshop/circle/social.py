"""Fans and posts: likes, comments (the owner replies, hides, deletes), shares, hiding a post,
reporting it."""
