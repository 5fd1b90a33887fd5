/**
 * @nestjs/swagger's CLI plugin options, one copy for src/scripts/openapi-metadata.ts; nest-cli.json
 * repeats them (JSON cannot import), and a test holds the two equal.
 */
export const SWAGGER_PLUGIN_OPTIONS: {
  dtoFileNameSuffix: string[];
  controllerFileNameSuffix: string[];
  classValidatorShim: boolean;
  introspectComments: boolean;
} = {
  // The files whose classes a REST route takes or answers (the plugin matches by substring). The
  // REST bodies are GraphQL inputs too, and the answers reuse GraphQL object types: naming these
  // files, not every `*.input.ts`, keeps GraphQL-only classes out of src/metadata.ts. A new REST
  // body or answer class goes in a file listed here (or in a `*.responses.ts`).
  dtoFileNameSuffix: [
    '/session/presentation/session.inputs.ts',
    '/account/presentation/account.inputs.ts',
    '/device/presentation/device.input.ts',
    '/session/presentation/session.type.ts',
    '/device/presentation/device.type.ts',
    '/user/presentation/user.type.ts',
    '.responses.ts',
  ],
  controllerFileNameSuffix: ['.controller.ts'],
  // class-validator's rules (lengths, formats, optional fields) become schema constraints.
  classValidatorShim: true,
  // Doc comments become descriptions of properties and summaries of routes.
  introspectComments: true,
};
