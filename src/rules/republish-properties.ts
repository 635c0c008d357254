// The MQTT 5 properties a republish action can set from templates, by EMQX's names. A module of its own
// so that the API's schemas can name them without loading the SQL compiler.

export const MQTT_PROPERTIES = ['Payload-Format-Indicator', 'Message-Expiry-Interval', 'Content-Type', 'Response-Topic', 'Correlation-Data'] as const;
