var cs = "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=yVs3k6CoBuFtPMsaWSAjutwK5/hP8x+h73Gsz9kZefg=";
var client = new ServiceBusClient(cs);
