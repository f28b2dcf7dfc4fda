"""Gates an edit must pass: static checks (scope, compiles, MODEL, scoring files named), the
leak scan of added lines against every task's files, and the fresh-context reviewer.

May import ``sandbox.task`` (to read task files) and ``models`` (the reviewer's model);
nothing of the climb's loop.
"""
