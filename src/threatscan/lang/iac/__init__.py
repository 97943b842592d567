"""The IaC model library: the CloudFormation/SAM loader (positions kept), the resource model, conditions."""
