	TP_printk("unit_address=0x%016llx process_token=0x%016llx rc=%li",
