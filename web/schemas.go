package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"issuer/issuer/oauth"
	"issuer/issuer/schema"
)

// PathSchemas is where the JSON Schemas of the messages are served: the
// listing at PathSchemas, each schema at PathSchemas + NAME + ".json".
const PathSchemas = "/schemas/"

// MIMESchema is the media type of a JSON Schema (draft 2020-12 §14.1).
const MIMESchema = "application/schema+json"

// schemaCache lets clients and proxies keep the schemas, which change
// only with the binary.
const schemaCache = "public, max-age=3600"

// schemaEntry is one schema of the listing.
type schemaEntry struct {
	schema.Info
	URL string `json:"url"`
}

// schemaList serves the listing of the schemas: name, title, description
// and absolute URL of each.
func (h *handlers) schemaList(c echo.Context) error {
	infos := schema.List()
	out := make([]schemaEntry, 0, len(infos))
	for _, i := range infos {
		out = append(out, schemaEntry{Info: i, URL: h.svc.Config().URL + PathSchemas + schema.FileName(i.Name)})
	}
	c.Response().Header().Set("Cache-Control", schemaCache)
	return c.JSON(http.StatusOK, map[string]any{"schemas": out})
}

// schemaFile serves one schema as written, as application/schema+json.
func (h *handlers) schemaFile(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".json")
	if !ok {
		return oauth.ErrNotFound("no such schema: the schemas are at %sNAME.json", PathSchemas)
	}
	b, err := schema.Get(name)
	if errors.Is(err, schema.ErrUnknown) {
		return oauth.ErrNotFound("no such schema")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	c.Response().Header().Set("Cache-Control", schemaCache)
	return c.Blob(http.StatusOK, MIMESchema, b)
}
