package fincloud.gateway;

/** What the token check asks about revocation: is this token id of this tenant revoked? */
interface RevokedTokens {
  boolean contains(String tenant, String tokenId);
}
