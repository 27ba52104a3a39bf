"""The owner's posts: create (text, images, listing cards, scheduled), edit for a short time,
delete, pin; the daily cap; publishing scheduled posts."""
