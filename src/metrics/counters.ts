// Fixed, named broker counters incremented inline on the hot path; $SYS and exporters read them.

export class Counters {
  connectionsAccepted = 0;
  clientsConnected = 0;
  clientsMaximum = 0;
  messagesReceived = 0;
  messagesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  bytesReceived = 0;
  bytesSent = 0;
  messagesDropped = 0;
  droppedNoSubscribers = 0;
  droppedQueueFull = 0;
  droppedExpired = 0;
  droppedTooLarge = 0;
  droppedSlowConsumer = 0;
  droppedStoreFull = 0;
  retainedMessages = 0;
  subscriptions = 0;
}
