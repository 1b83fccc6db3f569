"""Sub-commands of the backsight CLI (one module each)."""
