package dpop

import "testing"

func TestNormalizeHTU(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://as.example.com/token", want: "https://as.example.com/token"},
		{in: "HTTPS://AS.Example.com:443/token", want: "https://as.example.com/token"},
		{in: "http://as.example.com:80/token", want: "http://as.example.com/token"},
		{in: "http://as.example.com:443/token", want: "http://as.example.com:443/token"},
		{in: "https://as.example.com:80/token", want: "https://as.example.com:80/token"},
		{in: "https://as.example.com:/token", want: "https://as.example.com/token"},
		{in: "https://as.example.com:08443/token", want: "https://as.example.com:8443/token"},
		{in: "https://as.example.com", want: "https://as.example.com/"},
		{in: "https://as.example.com:8443", want: "https://as.example.com:8443/"},
		{in: "https://as.example.com/Token", want: "https://as.example.com/Token"},
		{in: "https://as.example.com/token/", want: "https://as.example.com/token/"},
		{in: "https://as.example.com/%7etoken", want: "https://as.example.com/~token"},
		{in: "https://as.example.com/%74%6F%6b%65%6E", want: "https://as.example.com/token"},
		{in: "https://as.example.com/a%2fb", want: "https://as.example.com/a%2Fb"},
		{in: "https://as.example.com/a%2Fb", want: "https://as.example.com/a%2Fb"},
		{in: "https://as.example.com/%e2%82%ac", want: "https://as.example.com/%E2%82%AC"},
		{in: "https://as.example.com/a/./b/../token", want: "https://as.example.com/a/token"},
		{in: "https://as.example.com/../token", want: "https://as.example.com/token"},
		{in: "https://as.example.com/a/%2e%2E/token", want: "https://as.example.com/token"},
		{in: "https://as.example.com/a/..", want: "https://as.example.com/"},
		{in: "https://as.example.com/a/.", want: "https://as.example.com/a/"},
		{in: "https://as.example.com/.well-known/x", want: "https://as.example.com/.well-known/x"},
		{in: "https://as.example.com//token", want: "https://as.example.com//token"},
		{in: "https://as.example.com/a;b=c/@:!$&'()*+,=", want: "https://as.example.com/a;b=c/@:!$&'()*+,="},
		{in: "https://[2001:DB8::1]:443/token", want: "https://[2001:db8::1]/token"},
		{in: "https://[2001:db8::1]:8443/token", want: "https://[2001:db8::1]:8443/token"},
		{in: "https://192.0.2.1/token", want: "https://192.0.2.1/token"},
		{in: "https://as.example.com/token?x=1", wantErr: true},
		{in: "https://as.example.com/token?", wantErr: true},
		{in: "https://as.example.com/token#f", wantErr: true},
		{in: "https://user@as.example.com/token", wantErr: true},
		{in: "https://user:pw@as.example.com/token", wantErr: true},
		{in: "ftp://as.example.com/token", wantErr: true},
		{in: "as.example.com/token", wantErr: true},
		{in: "/token", wantErr: true},
		{in: "https:/as.example.com/token", wantErr: true},
		{in: "https:///token", wantErr: true},
		{in: "", wantErr: true},
		{in: "https://as.example.com:65536/token", wantErr: true},
		{in: "https://as.example.com:123456/token", wantErr: true},
		{in: "https://as.example.com:x/token", wantErr: true},
		{in: "https://as.example.com:443:443/token", wantErr: true},
		{in: "https://as%2eexample.com/token", wantErr: true},
		{in: "https://[fe80::1%25eth0]/token", wantErr: true},
		{in: "https://[::1/token", wantErr: true},
		{in: "https://[::1]x/token", wantErr: true},
		{in: "https://as.example.com/to ken", wantErr: true},
		{in: "https://as.example.com/to\\ken", wantErr: true},
		{in: "https://as.example.com/tök", wantErr: true},
		{in: "https://as.example.com/%zz", wantErr: true},
		{in: "https://as.example.com/%4", wantErr: true},
		{in: "https://as example.com/token", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeHTU(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("NormalizeHTU(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil {
				return
			}
			if again, err := NormalizeHTU(got); err != nil || again != got {
				t.Fatalf("NormalizeHTU(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}
