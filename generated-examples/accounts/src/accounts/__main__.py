from accounts.app import main

main()
