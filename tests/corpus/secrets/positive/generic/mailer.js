const transporter = nodemailer.createTransport({
  host: 'smtp.gmail.com',
  auth: { user: 'me@acme.dev', pass: 'h#%ESWo%3fPLeWTa-%VBu7' },
});
