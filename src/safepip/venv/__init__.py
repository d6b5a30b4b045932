"""The virtual environment: its layout, state, creation, rebuild, seeding and lock."""
