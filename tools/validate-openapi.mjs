// Checks an OpenAPI document against the specification's own schema and resolves every $ref:
// `node tools/validate-openapi.mjs FILE` prints "valid" or what is wrong, and exits non-zero.
import SwaggerParser from '@apidevtools/swagger-parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tools/validate-openapi.mjs openapi.json');
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
