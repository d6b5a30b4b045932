"""Acting on a plan: create or check the environment, run pip or pipx, say where the work went."""
