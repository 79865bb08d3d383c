"""The inbox's rules, free of any web or database framework so they are tested directly."""
