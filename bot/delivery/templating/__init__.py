"""Chat message templates: placeholders, the sandboxed engine, presets, per-chat choice."""
