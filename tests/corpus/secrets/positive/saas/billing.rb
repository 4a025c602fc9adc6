require 'stripe'

Stripe.api_key = 'sk_live_oXQWQSKqM5oQRUDvFS2a99kz'

def charge(amount)
  Stripe::Charge.create(amount: amount, currency: 'eur')
end
