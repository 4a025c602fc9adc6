void rtas_activate_firmware(void)
{
	int token;

	token = rtas_token("ibm,activate-firmware");
	ibm_read_pci_config = rtas_token("ibm,read-pci-config");
	update_token = rtas_token("ibm,update-flash-64-and-reboot");
	call_status = rtas_call(rtas_token("ibm,get-system-parameter"), 3, 1,
}
