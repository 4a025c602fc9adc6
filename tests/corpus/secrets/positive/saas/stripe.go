stripe.Key = "sk_live_CGiYmVRlq5AHkijSfr4iWpgT"
