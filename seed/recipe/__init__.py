"""Recipe state shared by the stage entry points: SEED systems and stage bookkeeping."""
