"""Processes that cross features (issue 14): each gathers what it needs from two or more features
and hands plain data to the one that acts, so that the features import only the ground."""
