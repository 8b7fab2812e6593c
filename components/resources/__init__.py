"""The component resources and providers: topics, ACLs, MSK IAM policies, network ingress, SCRAM users."""
