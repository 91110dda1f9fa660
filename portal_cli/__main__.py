from portal_cli.main import cli

cli(prog_name="portal")
