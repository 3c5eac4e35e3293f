#!/bin/sh
# i13-split-rename.sh renames, in the test files of web, cmd and e2e, the
# identifiers that the split of package issuer (issue 13) moved to its
# parts. It changes names and imports only, never what a test asserts, and
# it can be re-run (on a merge, say): a second run changes nothing.
# goimports (golang.org/x/tools/cmd/goimports) fixes the imports if found.
set -eu
cd "$(dirname "$0")/.."
files=$(ls web/*_test.go cmd/issuer/*_test.go e2e/*_test.go issuer/*_test.go 2>/dev/null || true)
[ -n "$files" ] || exit 0
perl -pi -e '
	s/\bissuer\.AuthorizationDetail\b/oauth.AuthorizationDetail/g;
	s/\bissuer\.TypeOpenIDCredential\b/oauth.TypeOpenIDCredential/g;
	s/\b(?:issuer|clientauth)\.ProviderFrom(Config|API)\b/walletprovider.From$1/g;
	s/\b([sS]vc)\.Challenge\(/$1.ClientAuth.Challenge(/g;
	s/\b([sS]vc)\.AttestationChallengeHeader\(\)/$1.ClientAuth.ChallengeHeader()/g;
	s/\b([sS]vc)\.WalletProviders\((\w)/$1.WalletProviders.List($2/g;
	s/\b([sS]vc)\.CreateWalletProvider\(/$1.WalletProviders.Create(/g;
	s/\b([sS]vc)\.DeleteWalletProvider\(/$1.WalletProviders.Delete(/g;
	s/\b([sS]vc)\.(Create|Get|Delete)Client\(/$1.Clients.$2(/g;
	s/\b([sS]vc)\.CreateOffer\(/$1.Offers.Create(/g;
	s/\b([sS]vc)\.OfferQR\(/$1.Offers.QR(/g;
	s/\b([sS]vc)\.OfferByReference\(/$1.Offers.ByReference(/g;
	s/\b([sS]vc)\.(Create|Get)UMAResource\(/$1.UMA.$2Resource(/g;
	s/\b([sS]vc)\.AddUMAGrant\(/$1.UMA.AddGrant(/g;
	s/\b([sS]vc)\.DecideUMARequest\(/$1.UMA.DecideRequest(/g;
	s/\b([sS]vc)\.CreatePermissionTicket\(/$1.UMA.CreatePermissionTicket(/g;
	s/\b([sS]vc)\.(Create|Get|Delete)User\(/$1.Users.$2(/g;
	s/\b([sS]vc)\.(PushAuthorizationRequest|Authorize|Login|Decide)\(/$1.Authz.$2(/g;
	s/\bissuer\.(PARRequest|PARResponse|LoginForm|DecisionForm|AuthorizeResult|RedirectError|LoginPage|UserRequest|UserInfo)\b/authz.$1/g;
	s/\bissuer\.(Scope(?:OpenID|OfflineAccess))\b/oauth.$1/g;
	s/\b([sS]vc)\.Token\(/$1.Grants.Token(/g;
	s/\b([sS]vc)\.(Revoke|Introspect|UserInfo)\(/$1.Resource.$2(/g;
	s/\bissuer\.TokenRequest\{ClientRequest:/grant.TokenRequest{Request:/g;
	s/\bissuer\.TokenRequest\b/grant.TokenRequest/g;
	s/\bissuer\.(UserInfoRequest|Introspection)\b/resource.$1/g;
	s/\bissuer\.UMA(ResourceRequest|GrantRequest|ResourceInfo)\b/uma.$1/g;
	s/\bissuer\.ClientRequest\b/clientauth.Request/g;
	s/\bissuer\.ChallengeResponse\b/clientauth.ChallengeResponse/g;
	s/\bissuer\.ClientMetadata\b/clients.Metadata/g;
' $files
if command -v goimports >/dev/null 2>&1; then
	goimports -w $files
else
	gofmt -w $files
fi
