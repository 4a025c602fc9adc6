package mail

var mg = mailgun.NewMailgun("mg.acme.dev", "key-047fe9fd99bd25359f9b90e34087b871")
