"""Small-area population projection and age disaggregation."""
