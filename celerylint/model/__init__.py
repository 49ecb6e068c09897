"""The project model: modules, apps and settings, tasks, call sites."""
