import { createClient } from '@supabase/supabase-js';
export const supabase = createClient('https://xyz.supabase.co', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUiLCJpYXQiOjE3NjAwMDAwMDAsImV4cCI6MjA3NTU3NjAwMH0.hPDJa6GxFqo5uuLldyDIoVAroStTzwLC5P2N8yHosE0');
