"""The operator: the queue of reported posts, hiding a post, suspending a shop's posting."""
