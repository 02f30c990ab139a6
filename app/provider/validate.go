package provider

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// ReservedNamePrefix starts the names of the HTTPRouteFilters the upstream
// controller generates (ai-eg-host-rewrite-*, ai-eg-route-not-found-
// response-*); providers may not use it.
const ReservedNamePrefix = "ai-eg-"

var (
	awsRegionRE   = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
	gcpRegionRE   = regexp.MustCompile(`^([a-z]+-[a-z]+[0-9]+|global)$`)
	gcpProjectRE  = regexp.MustCompile(`^([a-z][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	guidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	awsKeyIDRE    = regexp.MustCompile(`^[A-Za-z0-9]{16,128}$`)
	awsProfileRE  = regexp.MustCompile(`^[A-Za-z0-9_.+@-]{1,64}$`)
	versionRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	azureVerRE    = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?|preview|latest)$`)
	prefixRE      = regexp.MustCompile(`^/?[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*/?$`)
	bedrockHostRE = regexp.MustCompile(`^bedrock-runtime(-fips)?\.([a-z0-9-]+)\.amazonaws\.com$`)
	vertexHostRE  = regexp.MustCompile(`^(?:([a-z0-9-]+)-)?aiplatform\.googleapis\.com$`)
)

// Field paths of the Spec, rooted at the request body.
var (
	pathNamespace  = field.NewPath("namespace")
	pathName       = field.NewPath("name")
	pathTemplate   = field.NewPath("template")
	pathParameters = field.NewPath("parameters")
	pathSchema     = field.NewPath("schema")
	pathEndpoint   = field.NewPath("endpoint")
	pathAuth       = field.NewPath("auth")
)

// omit hides a bad value in an error: write-only values never reach an error
// message.
var omit = field.OmitValueType{}

// Validate checks a provider spec for namespace (from ?namespace=) and
// returns every problem with its field path ("endpoint.hostname",
// "auth.apiKey", ...). It expects a spec whose template, if any, has been
// expanded by ExpandTemplate (which validates the template parameters); it
// checks only that the template exists. Error messages never contain a
// write-only value.
func Validate(namespace string, s Spec) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateNamespace(namespace)...)
	errs = append(errs, ValidateName(s.Name, pathName)...)
	if s.Template != "" {
		if _, ok := TemplateByName(s.Template); !ok {
			errs = append(errs, field.NotSupported(pathTemplate, s.Template, templateNames()))
		}
	} else if len(s.Parameters) > 0 {
		errs = append(errs, field.Forbidden(pathParameters, "parameters are only used with a template; set template or drop parameters"))
	}
	errs = append(errs, validateEndpoint(s.Endpoint)...)
	errs = append(errs, validateAuth(s.Auth, s.KeepSecret)...)

	switch s.Schema.Name {
	case "":
		errs = append(errs, field.Required(pathSchema.Child("name"), "choose one of "+joinSchemas(Schemas())))
	case aigv1b1.APISchemaOpenAI:
		errs = append(errs, ValidateOpenAIConfig(s)...)
	case aigv1b1.APISchemaAWSBedrock, aigv1b1.APISchemaAWSAnthropic:
		errs = append(errs, ValidateAWSConfig(s)...)
	case aigv1b1.APISchemaGCPVertexAI, aigv1b1.APISchemaGCPAnthropic:
		errs = append(errs, ValidateGCPConfig(s)...)
	case aigv1b1.APISchemaAzureOpenAI:
		errs = append(errs, ValidateAzureConfig(s)...)
	case aigv1b1.APISchemaAnthropic:
		errs = append(errs, ValidateAnthropicConfig(s)...)
	case aigv1b1.APISchemaCohere:
		errs = append(errs, ValidateCohereConfig(s)...)
	default:
		errs = append(errs, field.NotSupported(pathSchema.Child("name"), s.Schema.Name, Schemas()))
	}
	return errs
}

// ValidateName checks a provider name: a DNS-1123 label of at most
// MaxNameLength characters that is not reserved upstream.
func ValidateName(name string, fldPath *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(fldPath, "a DNS-1123 label such as \"openai\"")}
	}
	var errs field.ErrorList
	if len(name) > MaxNameLength {
		errs = append(errs, field.Invalid(fldPath, name, fmt.Sprintf("must be at most %d characters, leaving room for the %q suffix of the provider's Secret", MaxNameLength, SecretNameSuffix)))
	}
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(fldPath, name, msg))
	}
	switch {
	case strings.HasPrefix(name, ReservedNamePrefix):
		errs = append(errs, field.Invalid(fldPath, name, fmt.Sprintf("names starting with %q are reserved for objects the AI Gateway controller generates", ReservedNamePrefix)))
	case name == aigv1b1.RouteNotFoundRuleName:
		errs = append(errs, field.Invalid(fldPath, name, "is reserved for the AI Gateway controller's catch-all rule"))
	}
	return errs
}

func validateNamespace(ns string) field.ErrorList {
	if ns == "" {
		return field.ErrorList{field.Required(pathNamespace, "set ?namespace= to the namespace of the provider")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(ns) {
		errs = append(errs, field.Invalid(pathNamespace, ns, msg))
	}
	return errs
}

// ValidateHostname checks an endpoint hostname: a lowercase RFC-1123 name
// with at least two labels, and no scheme, path, port or wildcard.
func ValidateHostname(h string, fldPath *field.Path) field.ErrorList {
	if i := strings.Index(h, "://"); i >= 0 {
		bare := h[i+3:]
		if j := strings.IndexAny(bare, "/?#"); j >= 0 {
			bare = bare[:j]
		}
		return field.ErrorList{field.Invalid(fldPath, h, fmt.Sprintf("must be a host name without a scheme: drop %q and write %q (TLS is set by endpoint.tls)", h[:i+3], bare))}
	}
	if strings.ContainsAny(h, "/?#") {
		return field.ErrorList{field.Invalid(fldPath, h, "must be a host name without a path; put a path prefix in schema.prefix")}
	}
	if strings.HasPrefix(h, "*") {
		return field.ErrorList{field.Invalid(fldPath, h, "wildcard host names are not allowed; name one host")}
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return field.ErrorList{field.Invalid(fldPath, h, "is an IP address; set endpoint.ip instead")}
	}
	if strings.Contains(h, ":") {
		return field.ErrorList{field.Invalid(fldPath, h, "must not contain a port; set endpoint.port")}
	}
	if containsControl(h) || strings.ContainsAny(h, " \t") {
		return field.ErrorList{field.Invalid(fldPath, h, "must not contain spaces or control characters")}
	}
	if strings.ToLower(h) != h {
		return field.ErrorList{field.Invalid(fldPath, h, fmt.Sprintf("must be lowercase: %q", strings.ToLower(h)))}
	}
	if len(h) > 253 {
		return field.ErrorList{field.TooLong(fldPath, h, 253)}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(h) {
		errs = append(errs, field.Invalid(fldPath, h, msg))
	}
	if len(errs) > 0 {
		return errs
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) > 63 {
			return field.ErrorList{field.Invalid(fldPath, h, fmt.Sprintf("label %q is longer than 63 characters", label))}
		}
	}
	if !strings.Contains(h, ".") {
		return field.ErrorList{field.Invalid(fldPath, h, "must be a fully qualified name with at least two labels, e.g. \"vllm.default.svc.cluster.local\" for an in-cluster Service")}
	}
	return nil
}

func validateEndpoint(e Endpoint) field.ErrorList {
	var errs field.ErrorList
	switch {
	case e.Hostname != "" && e.IP != "":
		errs = append(errs, field.Forbidden(pathEndpoint.Child("ip"), "set either endpoint.hostname or endpoint.ip, not both"))
	case e.Hostname == "" && e.IP == "":
		errs = append(errs, field.Required(pathEndpoint.Child("hostname"), "set endpoint.hostname (or endpoint.ip)"))
	case e.Hostname != "":
		errs = append(errs, ValidateHostname(e.Hostname, pathEndpoint.Child("hostname"))...)
	default:
		errs = append(errs, validateIP(e.IP, pathEndpoint.Child("ip"))...)
		if e.TLSEnabled() {
			errs = append(errs, field.Invalid(pathEndpoint.Child("tls"), true, "TLS needs endpoint.hostname: the BackendTLSPolicy verifies the certificate against a host name; use a hostname or set tls to false"))
		}
	}
	if e.Port < 1 || e.Port > 65535 {
		errs = append(errs, field.Invalid(pathEndpoint.Child("port"), e.Port, "must be between 1 and 65535"))
	}
	return errs
}

func validateIP(ip string, fldPath *field.Path) field.ErrorList {
	addr, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return field.ErrorList{field.Invalid(fldPath, ip, "must be an IPv4 or IPv6 address")}
	case addr.Zone() != "":
		return field.ErrorList{field.Invalid(fldPath, ip, "must not carry an IPv6 zone")}
	case addr.IsUnspecified():
		return field.ErrorList{field.Invalid(fldPath, ip, "the unspecified address cannot be dialed; give the server's address")}
	case addr.IsLoopback():
		return field.ErrorList{field.Invalid(fldPath, ip, "loopback addresses are refused by Envoy Gateway outside host mode; use the Service's cluster IP or host name")}
	case addr.IsMulticast():
		return field.ErrorList{field.Invalid(fldPath, ip, "must be a unicast address")}
	}
	return nil
}

// validateAuth checks the auth block on its own; schema compatibility is
// checked by the Validate*Config functions.
func validateAuth(a Auth, keepSecret bool) field.ErrorList {
	var errs field.ErrorList
	pType := pathAuth.Child("type")
	switch {
	case a.Type == "":
		errs = append(errs, field.Required(pType, "choose one of "+joinAuthTypes(AuthTypes())+" (None for no authentication)"))
	case !slices.Contains(AuthTypes(), a.Type):
		errs = append(errs, field.NotSupported(pType, a.Type, AuthTypes()))
	}

	// Blocks that do not belong to the type.
	if a.APIKey.IsSet() && !isAPIKeyType(a.Type) {
		errs = append(errs, field.Forbidden(pathAuth.Child("apiKey"), fmt.Sprintf("apiKey is used only by auth types APIKey, AzureAPIKey and AnthropicAPIKey, not %s%s", a.Type, blockHint(a.Type))))
	}
	if a.AWS != nil && a.Type != AuthAWSCredentials {
		errs = append(errs, field.Forbidden(pathAuth.Child("aws"), fmt.Sprintf("aws is used only by auth type AWSCredentials, not %s%s", a.Type, blockHint(a.Type))))
	}
	if a.Azure != nil && a.Type != AuthAzureCredentials {
		errs = append(errs, field.Forbidden(pathAuth.Child("azure"), fmt.Sprintf("azure is used only by auth type AzureCredentials, not %s%s", a.Type, blockHint(a.Type))))
	}
	if a.GCP != nil && a.Type != AuthGCPCredentials {
		errs = append(errs, field.Forbidden(pathAuth.Child("gcp"), fmt.Sprintf("gcp is used only by auth type GCPCredentials, not %s%s", a.Type, blockHint(a.Type))))
	}
	if a.UseDefaultCredentials && a.Type != AuthAWSCredentials && a.Type != AuthGCPCredentials {
		errs = append(errs, field.Forbidden(pathAuth.Child("useDefaultCredentials"), "only AWSCredentials and GCPCredentials have platform default credentials"))
	}
	if a.SecretRef != nil {
		pRef := pathAuth.Child("secretRef")
		switch {
		case a.Type == AuthNone:
			errs = append(errs, field.Forbidden(pRef, "auth type None uses no Secret"))
		case a.UseDefaultCredentials:
			errs = append(errs, field.Forbidden(pRef, "useDefaultCredentials uses no Secret; drop one of them"))
		case a.SecretRef.Name == "":
			errs = append(errs, field.Required(pRef.Child("name"), "the name of an existing Secret in the provider's namespace"))
		default:
			for _, msg := range validation.IsDNS1123Subdomain(a.SecretRef.Name) {
				errs = append(errs, field.Invalid(pRef.Child("name"), a.SecretRef.Name, msg))
			}
		}
	}
	if a.UseDefaultCredentials && a.hasInlineCredential() {
		errs = append(errs, field.Forbidden(pathAuth.Child("useDefaultCredentials"), "cannot be combined with a credential in the request; drop one of them"))
	}

	switch a.Type {
	case AuthAPIKey, AuthAzureAPIKey, AuthAnthropicAPIKey:
		p := pathAuth.Child("apiKey")
		switch {
		case a.APIKey.IsSet() && a.SecretRef != nil:
			errs = append(errs, field.Forbidden(pathAuth.Child("secretRef"), "set either apiKey or secretRef, not both"))
		case !a.APIKey.IsSet() && a.SecretRef == nil && !keepSecret:
			errs = append(errs, field.Required(p, fmt.Sprintf("give the API key, or secretRef to an existing Secret with key %q", aigv1b1.SecretKeyAPIKey)))
		}
		errs = append(errs, validateToken(p, a.APIKey)...)
	case AuthAWSCredentials:
		errs = append(errs, validateAWSAuth(a)...)
	case AuthAzureCredentials:
		errs = append(errs, validateAzureAuth(a, keepSecret)...)
	case AuthGCPCredentials:
		errs = append(errs, validateGCPAuth(a)...)
	}
	return errs
}

func validateAWSAuth(a Auth) field.ErrorList {
	p := pathAuth.Child("aws")
	if a.AWS == nil {
		return field.ErrorList{field.Required(p.Child("region"), "the AWS region, e.g. \"us-east-1\"")}
	}
	aws := a.AWS
	var errs field.ErrorList
	switch {
	case aws.Region == "":
		errs = append(errs, field.Required(p.Child("region"), "the AWS region, e.g. \"us-east-1\""))
	case !awsRegionRE.MatchString(aws.Region):
		errs = append(errs, field.Invalid(p.Child("region"), aws.Region, "must be an AWS region such as \"us-east-1\""))
	}
	if aws.Profile != "" && !awsProfileRE.MatchString(aws.Profile) {
		errs = append(errs, field.Invalid(p.Child("profile"), aws.Profile, "must be 1-64 letters, digits or _.+@- (it names an INI section)"))
	}

	hasKeys := aws.AccessKeyID.IsSet() || aws.SecretAccessKey.IsSet()
	switch {
	case aws.Credentials.IsSet() && hasKeys:
		errs = append(errs, field.Forbidden(p.Child("accessKeyID"), "set either credentials (an INI file) or accessKeyID and secretAccessKey, not both"))
	case (aws.Credentials.IsSet() || hasKeys) && a.SecretRef != nil:
		errs = append(errs, field.Forbidden(pathAuth.Child("secretRef"), "set either a credential in the request or secretRef, not both"))
	}
	if aws.AccessKeyID.IsSet() != aws.SecretAccessKey.IsSet() {
		if aws.AccessKeyID.IsSet() {
			errs = append(errs, field.Required(p.Child("secretAccessKey"), "accessKeyID and secretAccessKey go together"))
		} else {
			errs = append(errs, field.Required(p.Child("accessKeyID"), "accessKeyID and secretAccessKey go together"))
		}
	}
	if aws.AccessKeyID.IsSet() && !awsKeyIDRE.MatchString(aws.AccessKeyID.Value()) {
		errs = append(errs, field.Invalid(p.Child("accessKeyID"), omit, "must be 16-128 letters and digits, like the AKIA... IDs AWS issues"))
	}
	errs = append(errs, validateToken(p.Child("secretAccessKey"), aws.SecretAccessKey)...)
	if aws.SecretAccessKey.IsSet() && strings.ContainsAny(aws.SecretAccessKey.Value(), " \t") {
		errs = append(errs, field.Invalid(p.Child("secretAccessKey"), omit, "must not contain spaces"))
	}
	if aws.Credentials.IsSet() {
		errs = append(errs, validateAWSINI(p.Child("credentials"), aws.Credentials, profileOrDefault(aws.Profile))...)
	}
	return errs
}

// validateAWSINI checks that an AWS credentials file has the profile's
// section with both keys. It reports no value from the file.
func validateAWSINI(p *field.Path, c Credential, profile string) field.ErrorList {
	v := c.Value()
	if len(v) > MaxCredentialBytes {
		return field.ErrorList{field.TooLong(p, nil, MaxCredentialBytes)}
	}
	for _, r := range v {
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return field.ErrorList{field.Invalid(p, omit, "must be an INI text file without control characters")}
		}
	}
	var section string
	found, keyID, secret := false, false, false
	sc := bufio.NewScanner(strings.NewReader(v))
	sc.Buffer(make([]byte, 0, 4096), MaxCredentialBytes+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line[1:len(line)-1]), "profile "))
			if section == profile {
				found = true
			}
		case section == profile:
			k, val, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				keyID = strings.TrimSpace(val) != ""
			case "aws_secret_access_key":
				secret = strings.TrimSpace(val) != ""
			}
		}
	}
	if !found || !keyID || !secret {
		return field.ErrorList{field.Invalid(p, omit, fmt.Sprintf("must be an AWS credentials file with a [%s] section holding aws_access_key_id and aws_secret_access_key (set auth.aws.profile for another section)", profile))}
	}
	return nil
}

func validateAzureAuth(a Auth, keepSecret bool) field.ErrorList {
	p := pathAuth.Child("azure")
	if a.Azure == nil {
		return field.ErrorList{field.Required(p, "clientID, tenantID and clientSecret (or auth.secretRef) are required for AzureCredentials")}
	}
	az := a.Azure
	var errs field.ErrorList
	switch {
	case az.ClientID == "":
		errs = append(errs, field.Required(p.Child("clientID"), "the Entra application (client) ID"))
	case !guidRE.MatchString(az.ClientID):
		errs = append(errs, field.Invalid(p.Child("clientID"), az.ClientID, "must be a GUID such as 00000000-0000-0000-0000-000000000000"))
	}
	switch {
	case az.TenantID == "":
		errs = append(errs, field.Required(p.Child("tenantID"), "the Entra tenant ID"))
	case !guidRE.MatchString(az.TenantID) && len(validation.IsDNS1123Subdomain(strings.ToLower(az.TenantID))) > 0:
		errs = append(errs, field.Invalid(p.Child("tenantID"), az.TenantID, "must be a GUID or a domain such as contoso.onmicrosoft.com"))
	}
	switch {
	case az.ClientSecret.IsSet() && a.SecretRef != nil:
		errs = append(errs, field.Forbidden(pathAuth.Child("secretRef"), "set either azure.clientSecret or secretRef, not both"))
	case !az.ClientSecret.IsSet() && a.SecretRef == nil && !keepSecret:
		errs = append(errs, field.Required(p.Child("clientSecret"), fmt.Sprintf("give the client secret, or secretRef to an existing Secret with key %q", aigv1b1.SecretKeyClientSecret)))
	}
	errs = append(errs, validateToken(p.Child("clientSecret"), az.ClientSecret)...)
	return errs
}

func validateGCPAuth(a Auth) field.ErrorList {
	p := pathAuth.Child("gcp")
	if a.GCP == nil {
		return field.ErrorList{field.Required(p.Child("projectName"), "projectName and region are required: the gateway puts them into the request path")}
	}
	g := a.GCP
	var errs field.ErrorList
	switch {
	case g.ProjectName == "":
		errs = append(errs, field.Required(p.Child("projectName"), "the GCP project ID; the gateway puts it into the request path"))
	case !gcpProjectRE.MatchString(g.ProjectName):
		errs = append(errs, field.Invalid(p.Child("projectName"), g.ProjectName, "must be a GCP project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter"))
	}
	switch {
	case g.Region == "":
		errs = append(errs, field.Required(p.Child("region"), "the Vertex AI region, e.g. \"us-central1\""))
	case !gcpRegionRE.MatchString(g.Region):
		errs = append(errs, field.Invalid(p.Child("region"), g.Region, "must be a GCP region such as \"us-central1\", or \"global\""))
	}
	if g.ServiceAccountJSON.IsSet() {
		if a.SecretRef != nil {
			errs = append(errs, field.Forbidden(pathAuth.Child("secretRef"), "set either gcp.serviceAccountJSON or secretRef, not both"))
		}
		errs = append(errs, validateServiceAccount(p.Child("serviceAccountJSON"), g.ServiceAccountJSON)...)
	}
	return errs
}

// validateServiceAccount checks a service-account key file without ever
// quoting it: json's syntax errors can contain bytes of the input, so they
// are not passed on.
func validateServiceAccount(p *field.Path, c Credential) field.ErrorList {
	v := c.Value()
	if len(v) > MaxCredentialBytes {
		return field.ErrorList{field.TooLong(p, nil, MaxCredentialBytes)}
	}
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(v), &key); err != nil {
		return field.ErrorList{field.Invalid(p, omit, "must be the JSON key file of a GCP service account (it does not parse as a JSON object)")}
	}
	if key.Type != "service_account" {
		return field.ErrorList{field.Invalid(p, omit, "must be the JSON key file of a GCP service account: \"type\" must be \"service_account\"")}
	}
	if key.ClientEmail == "" || key.PrivateKey == "" {
		return field.ErrorList{field.Invalid(p, omit, "must be a complete service-account key file with client_email and private_key")}
	}
	return nil
}

// validateToken checks a write-only value that ends up in a header or an INI
// line: size and printable ASCII, so it cannot inject a header, a YAML line
// or an INI section. The value is never reported.
func validateToken(p *field.Path, c Credential) field.ErrorList {
	v := c.Value()
	if v == "" {
		return nil
	}
	if len(v) > MaxCredentialBytes {
		return field.ErrorList{field.TooLong(p, nil, MaxCredentialBytes)}
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b > 0x7e {
			return field.ErrorList{field.Invalid(p, omit, "must be printable ASCII, without newlines or other control characters")}
		}
	}
	if strings.TrimSpace(v) != v {
		return field.ErrorList{field.Invalid(p, omit, "must not start or end with spaces; check the copied value")}
	}
	return nil
}

// ValidateOpenAIConfig checks the OpenAI-specific rules of s: auth APIKey
// or None (self-hosted), no version, and a path prefix.
func ValidateOpenAIConfig(s Spec) field.ErrorList {
	errs := checkAuthFor(s, AuthAPIKey, AuthNone)
	errs = append(errs, forbidVersion(s, "put an OpenAI-compatible path such as \"/openai/v1\" in schema.prefix")...)
	return append(errs, validatePrefix(s.Schema.Prefix)...)
}

// ValidateAWSConfig checks the AWSBedrock and AWSAnthropic rules of s: auth
// AWSCredentials, no prefix, a version only for AWSAnthropic, and an auth
// region that matches a bedrock-runtime.<region>.amazonaws.com endpoint.
func ValidateAWSConfig(s Spec) field.ErrorList {
	errs := checkSchemaIn(s, aigv1b1.APISchemaAWSBedrock, aigv1b1.APISchemaAWSAnthropic)
	errs = append(errs, checkAuthFor(s, AuthAWSCredentials)...)
	errs = append(errs, forbidPrefix(s)...)
	if s.Schema.Name == aigv1b1.APISchemaAWSBedrock {
		errs = append(errs, forbidVersion(s, "")...)
	} else {
		errs = append(errs, validateVersion(s.Schema.Version)...)
	}
	if m := bedrockHostRE.FindStringSubmatch(s.Endpoint.Hostname); m != nil && s.Auth.AWS != nil && s.Auth.AWS.Region != "" && m[2] != s.Auth.AWS.Region {
		errs = append(errs, field.Invalid(pathAuth.Child("aws", "region"), s.Auth.AWS.Region, fmt.Sprintf("does not match the endpoint's region %q; SigV4 signatures would be refused", m[2])))
	}
	return errs
}

// ValidateGCPConfig checks the GCPVertexAI and GCPAnthropic rules of s: auth
// GCPCredentials (project and region come from it), no prefix, a version
// only for GCPAnthropic, and an auth region that matches a
// <region>-aiplatform.googleapis.com endpoint.
func ValidateGCPConfig(s Spec) field.ErrorList {
	errs := checkSchemaIn(s, aigv1b1.APISchemaGCPVertexAI, aigv1b1.APISchemaGCPAnthropic)
	errs = append(errs, checkAuthFor(s, AuthGCPCredentials)...)
	errs = append(errs, forbidPrefix(s)...)
	if s.Schema.Name == aigv1b1.APISchemaGCPVertexAI {
		errs = append(errs, forbidVersion(s, "")...)
	} else {
		errs = append(errs, validateVersion(s.Schema.Version)...)
	}
	if m := vertexHostRE.FindStringSubmatch(s.Endpoint.Hostname); m != nil && s.Auth.GCP != nil && s.Auth.GCP.Region != "" {
		hostRegion := m[1]
		if hostRegion == "" {
			hostRegion = "global"
		}
		if hostRegion != s.Auth.GCP.Region {
			errs = append(errs, field.Invalid(pathAuth.Child("gcp", "region"), s.Auth.GCP.Region, fmt.Sprintf("does not match the endpoint's region %q", hostRegion)))
		}
	}
	return errs
}

// ValidateAzureConfig checks the AzureOpenAI rules of s: auth AzureAPIKey or
// AzureCredentials, a required api-version in schema.version, no prefix.
func ValidateAzureConfig(s Spec) field.ErrorList {
	errs := checkSchemaIn(s, aigv1b1.APISchemaAzureOpenAI)
	errs = append(errs, checkAuthFor(s, AuthAzureAPIKey, AuthAzureCredentials)...)
	errs = append(errs, forbidPrefix(s)...)
	p := pathSchema.Child("version")
	switch {
	case s.Schema.Version == "":
		errs = append(errs, field.Required(p, "the Azure OpenAI api-version, e.g. \"2025-01-01-preview\" (the azure-openai template fills it)"))
	case !azureVerRE.MatchString(s.Schema.Version):
		errs = append(errs, field.Invalid(p, s.Schema.Version, "must be an Azure OpenAI api-version such as \"2024-10-21\" or \"2025-01-01-preview\""))
	}
	return errs
}

// ValidateAnthropicConfig checks the Anthropic rules of s: auth
// AnthropicAPIKey, no version, a path prefix.
func ValidateAnthropicConfig(s Spec) field.ErrorList {
	errs := checkSchemaIn(s, aigv1b1.APISchemaAnthropic)
	errs = append(errs, checkAuthFor(s, AuthAnthropicAPIKey)...)
	errs = append(errs, forbidVersion(s, "")...)
	return append(errs, validatePrefix(s.Schema.Prefix)...)
}

// ValidateCohereConfig checks the Cohere rules of s: auth APIKey, an
// optional version such as "v2", no prefix.
func ValidateCohereConfig(s Spec) field.ErrorList {
	errs := checkSchemaIn(s, aigv1b1.APISchemaCohere)
	errs = append(errs, checkAuthFor(s, AuthAPIKey)...)
	errs = append(errs, forbidPrefix(s)...)
	return append(errs, validateVersion(s.Schema.Version)...)
}

// checkSchemaIn guards the Validate*Config functions against a spec of
// another schema.
func checkSchemaIn(s Spec, names ...aigv1b1.APISchema) field.ErrorList {
	if slices.Contains(names, s.Schema.Name) {
		return nil
	}
	return field.ErrorList{field.NotSupported(pathSchema.Child("name"), s.Schema.Name, names)}
}

// checkAuthFor reports an auth type the schema cannot use. Empty and unknown
// types are reported by validateAuth.
func checkAuthFor(s Spec, allowed ...AuthType) field.ErrorList {
	if s.Auth.Type == "" || !slices.Contains(AuthTypes(), s.Auth.Type) || slices.Contains(allowed, s.Auth.Type) {
		return nil
	}
	return field.ErrorList{field.Invalid(pathAuth.Child("type"), s.Auth.Type,
		fmt.Sprintf("schema %s cannot use auth type %s; use %s", s.Schema.Name, s.Auth.Type, joinAuthTypes(allowed)))}
}

func forbidVersion(s Spec, hint string) field.ErrorList {
	if s.Schema.Version == "" {
		return nil
	}
	msg := fmt.Sprintf("the %s schema ignores version; drop it", s.Schema.Name)
	if hint != "" {
		msg += ", and " + hint
	}
	return field.ErrorList{field.Forbidden(pathSchema.Child("version"), msg)}
}

func forbidPrefix(s Spec) field.ErrorList {
	if s.Schema.Prefix == "" {
		return nil
	}
	return field.ErrorList{field.Forbidden(pathSchema.Child("prefix"), fmt.Sprintf("prefix is used only by the OpenAI and Anthropic schemas, not %s", s.Schema.Name))}
}

func validateVersion(v string) field.ErrorList {
	if v == "" || versionRE.MatchString(v) {
		return nil
	}
	return field.ErrorList{field.Invalid(pathSchema.Child("version"), v, "must be 1-64 letters, digits or ._- starting with a letter or digit")}
}

func validatePrefix(prefix string) field.ErrorList {
	if prefix == "" {
		return nil
	}
	p := pathSchema.Child("prefix")
	switch {
	case strings.Contains(prefix, "://"):
		return field.ErrorList{field.Invalid(p, prefix, "must be a path such as \"/v1\", without scheme or host (the host goes in endpoint.hostname)")}
	case len(prefix) > 1024:
		return field.ErrorList{field.TooLong(p, prefix, 1024)}
	case !prefixRE.MatchString(prefix):
		return field.ErrorList{field.Invalid(p, prefix, "must be a path such as \"/v1\" or \"/openai/v1\": segments of letters, digits and ._~- separated by /")}
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "." || seg == ".." {
			return field.ErrorList{field.Invalid(p, prefix, "must not contain . or .. segments")}
		}
	}
	return nil
}

func isAPIKeyType(t AuthType) bool {
	return t == AuthAPIKey || t == AuthAzureAPIKey || t == AuthAnthropicAPIKey
}

// blockHint names the field a type does use, for messages about a block set
// for the wrong type.
func blockHint(t AuthType) string {
	switch t {
	case AuthAPIKey, AuthAzureAPIKey, AuthAnthropicAPIKey:
		return " (it uses auth.apiKey)"
	case AuthAWSCredentials:
		return " (it uses auth.aws)"
	case AuthAzureCredentials:
		return " (it uses auth.azure)"
	case AuthGCPCredentials:
		return " (it uses auth.gcp)"
	case AuthNone:
		return " (it uses no credential)"
	}
	return ""
}

func containsControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func profileOrDefault(p string) string {
	if p == "" {
		return DefaultAWSProfile
	}
	return p
}

func joinAuthTypes(ts []AuthType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return joinOr(s)
}

func joinSchemas(ns []aigv1b1.APISchema) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = string(n)
	}
	return joinOr(s)
}

// joinOr writes "a", "a or b", "a, b or c".
func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
