"""Campaign manager: storage (SQLModel), lead lists, lead selection (the hopper) and reports."""
