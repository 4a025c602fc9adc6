const sgMail = require('@sendgrid/mail');
sgMail.setApiKey('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');
