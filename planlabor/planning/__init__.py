"""Planning modules: Kita, school age, old age (using projection and spatial analysis)."""
