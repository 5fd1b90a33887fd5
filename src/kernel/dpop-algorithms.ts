/**
 * The algorithms a DPoP proof may be signed with (RFC 9449 §4.3): asymmetric only, since a MAC
 * would let whoever checks a proof also make one. Shared by the proof check and the HTTP
 * challenge that names them (`algs`).
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
