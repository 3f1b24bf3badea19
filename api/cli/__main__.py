"""``python -m api.cli``: the same command as the ``talentflow`` script."""
from api.cli import main

main()
