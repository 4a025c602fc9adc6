# installation token minted for the deploy bot
INSTALLATION_TOKEN = "ghs_42Fe3nDGCGUKRnMxwJbn9OsXuGRdef1d0Hox"
