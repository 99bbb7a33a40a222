package bpf

//go:generate go tool bpf2go -tags linux -target bpfel -type bw_record -type bw_reason -type bw_global -type bw_record_flag -type bw_direction -type bw_proto_class -type bw_home_mode -type bw_count -type bw_lpm_key -type bw_iface_count -type bw_flood -type bw_flood_class borderwatch borderwatch.c -- -I/usr/include/x86_64-linux-gnu -O2 -g -Wall -Werror
