"""Show files: TOML descriptions of a piece, validated into frozen `Show` objects.

- `loader.load_show(path) -> Show` (UserError on any problem)
- `sections.Show` and its settings classes; `schema` is the mechanism they are declared with
- `watcher.ShowWatcher` reloads a show when its file changes
"""
