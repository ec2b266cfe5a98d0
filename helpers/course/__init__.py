"""The course machinery: set-up and settings, offline assets, errors, argument validation, results.

Nothing here is a lesson; the notebooks call it, and the lesson modules use it.
"""
