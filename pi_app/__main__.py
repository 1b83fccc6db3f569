from pi_app.cli import main

raise SystemExit(main())
