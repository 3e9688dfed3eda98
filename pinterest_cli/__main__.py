from pinterest_cli.cli import main

main()
