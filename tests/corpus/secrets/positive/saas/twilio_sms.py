from twilio.rest import Client

account_sid = "ACbcadcb4d1ce46aa9bb0021b6b4ae7d53"
auth_token = "28058927a6100bd14aec97ba15617fdf"
client = Client(account_sid, auth_token)
