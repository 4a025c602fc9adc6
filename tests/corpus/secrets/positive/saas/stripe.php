\Stripe\Stripe::setApiKey('sk_live_kmPDH5eVsWKWHt3c86krt5GV');
