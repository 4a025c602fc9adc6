lftp ftp://deploy:aTe9KOCwbheGTIkREMom@ftp.acme.dev -e "mirror -R dist /www"
