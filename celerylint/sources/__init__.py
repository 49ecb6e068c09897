"""Sources: which files a check reads, what each is called, which can matter.

`discover` walks the paths (excludes and .gitignore in `ignore`), `modules`
names each Python file, `prefilter` decides from bytes which files to parse.
"""
