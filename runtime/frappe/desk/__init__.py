"""The few Desk endpoints the runtime answers (the Desk UI itself is not part of it)."""
